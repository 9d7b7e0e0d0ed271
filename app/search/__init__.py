"""Full-text search over thread titles and posts: one interface (service), two engines (engines)."""
