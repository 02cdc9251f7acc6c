"""Reference PyTorch architectures, checkpoint loading, ONNX export and fixtures for twinvla."""

EXPORTER_VERSION = "0.1.0"
