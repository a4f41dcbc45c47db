"""Evaluation requests: the public page where a prospective patient asks for a
confidential evaluation, and the staff inbox where the clinic answers it."""
