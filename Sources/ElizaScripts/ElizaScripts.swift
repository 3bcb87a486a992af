import ElizaVM
