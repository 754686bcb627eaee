"""The shop's application services: catalog admin, buying and paying, over the pipeline."""
