"""What the tests and the benchmarks share: hypothesis strategies (``strategies``) and
reference implementations to compare deepgrad against (``reference``)."""
