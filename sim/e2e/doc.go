// Package e2e holds the end-to-end tests and benchmark of the virtual chip
// on real compiler output: zoo network -> seeded parameters -> the whole
// passes pipeline -> sim, compared with the integer reference executor.
// They live apart from package sim so that sim's own tests do not depend
// on the compiler.
package e2e
