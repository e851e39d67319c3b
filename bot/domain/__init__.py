"""Domain and read-model types: what services produce and views render, importing neither."""
