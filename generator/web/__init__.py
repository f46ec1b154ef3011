"""The office's web app (`kehoach serve`): a thin interface over the same use cases as the command line."""
