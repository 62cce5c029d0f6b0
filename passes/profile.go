// This file implements the profile pass.

package passes

var profilePass = notYet("profile")
