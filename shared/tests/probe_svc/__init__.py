"""A minimal real service used to test the kernel: notes written with events, applied elsewhere."""
