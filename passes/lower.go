// This file implements the lower-ops pass.

package passes

var lowerOpsPass = notYet("lower-ops")
