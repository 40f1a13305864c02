"""The AI features: semantic and hybrid search, recommendations, category suggestions, forecasts."""
