"""Operations: the health check, the dead-letter recorder and the dead-letter replay."""
