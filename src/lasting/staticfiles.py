"""Static files with content-hashed names and gzip copies (WhiteNoise's compressed manifest
storage), written by `collectstatic` when the site is prepared (`lasting.cli.prepare_site`).

Before `collectstatic` has run (the test suite, `manage` commands) a name missing from the
manifest is served under its plain name by WhiteNoise's finders, instead of failing the
page: the hashed, compressed, cached-forever names are for the running site.
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):  # type: ignore[misc]
    manifest_strict = False

    def stored_name(self, name: str) -> str:
        try:
            return str(super().stored_name(name))
        except ValueError:  # not collected yet: the plain name, served by the finders
            return name
