"""Value domains of Python marts shared by their analytics and their quality suites."""
