"""Configuration: the one reader of the environment (settings), the sites file, the YAML and text file readers, and the files shipped in the package."""
