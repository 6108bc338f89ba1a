"""The customers app's commands (`wateja manage <name>`)."""
