// An empty module: node's own start-up time, the baseline under every import.
