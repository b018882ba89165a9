"""Dagster resources shared by every definition."""


import dagster as dg

from orchestration.core.settings import Settings, load_settings


class ObservatoireResource(dg.ConfigurableResource):
    """Gives assets the resolved :class:`Settings`; the key itself never enters run config."""

    lake: str | None = None  # overrides OBSERVATOIRE_LAKE when set (e.g. from the launchpad)

    def settings(self) -> Settings:
        return load_settings(self.lake)
