"""georisk: the logic of the geopolitical risk dashboard, importable without Streamlit."""

__version__ = "0.1.0"
