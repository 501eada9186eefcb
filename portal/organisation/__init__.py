"""Organisation: regions, departments, service halls and windows, staff with roles, applicants."""
