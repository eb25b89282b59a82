"""Database layer: typed models, engine factory and repositories (queries only, no commits)."""
