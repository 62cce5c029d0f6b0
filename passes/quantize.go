// This file implements the quantize pass.

package passes

// QuantReport is how well the quantized network agrees with the float one
// on Unit.Samples.
type QuantReport struct {
	// Samples is the number of sample inputs evaluated.
	Samples int
	// Agree is the number of samples on which the float and the integer
	// network predict the same class.
	Agree int
	// FloatSpikes and IntSpikes are the total spikes of all spiking
	// populations over all samples in the float and the integer network.
	FloatSpikes, IntSpikes int64
}

var quantizePass = notYet("quantize")
