"""Sila (صلة): many charities' beneficiary-relations policies, run as software on one deployment."""
