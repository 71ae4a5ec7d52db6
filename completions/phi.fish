complete --keep-order --exclusive --command phi --arguments "(COMPLETE=fish phi -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
