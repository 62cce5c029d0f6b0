// This file implements the fold-bn pass.

package passes

var foldBNPass = notYet("fold-bn")
