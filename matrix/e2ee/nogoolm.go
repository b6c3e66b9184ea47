//go:build !goolm

package e2ee

// termatrix builds its Olm/Megolm code with goolm (see the package doc):
// a build without the tag stops here, naming the fix, instead of failing
// to link against libolm.
var _ = termatrix_needs_the_goolm_build_tag__use__go_run_tags_goolm
