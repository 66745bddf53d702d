"""The embedded default model: a catalog of GGUF files known by sha256, their resolution, and the
llama-cpp-python server that serves one with our tool-calling chat handler."""
