"""Running conversations: the loop, the assistant's protocol, MCP tools, run directories, resume, workers and shard merges."""
