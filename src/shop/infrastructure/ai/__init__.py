"""Adapters of the AI ports: the ONNX embedding model, the NumPy vector index, SQL search."""
