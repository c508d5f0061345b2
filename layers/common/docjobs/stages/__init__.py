"""The pipeline's stage logic, one module per stage; ``progress`` holds what they share."""
