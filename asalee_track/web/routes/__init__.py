"""One module per area of the site; each route is a few lines that call `care`."""
