"""HTTP-level fakes of Qinling and Aodh for the unit tests."""
