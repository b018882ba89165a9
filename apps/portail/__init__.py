"""Citizens' page: the open-data portal (browse, chart, download, disclosure report)."""
