import ElizaVM

print("bench")
