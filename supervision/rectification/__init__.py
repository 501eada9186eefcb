"""Rectification of bad reviews (差评整改, DOMAIN.md §4): the department rectifies within a set time
or asks for the review to be judged invalid or impossible to rectify; a supervisor decides."""
