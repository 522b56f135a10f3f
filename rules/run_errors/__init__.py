"""E0xx: findings about nncheck's own run. The engine reports them; they always exit 2."""
