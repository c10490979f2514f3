// Placeholder until the BLAS addon lands: nothing to build yet.
