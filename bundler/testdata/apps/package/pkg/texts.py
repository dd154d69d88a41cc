TITLE = "from a package"
