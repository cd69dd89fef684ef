"""Indicators for the board and the regulator, exports staff can open, and the readable audit."""
