// Field offsets of eventParams (fused_amd64.go), the constants that
// convEventsTabAVX2 (fused_amd64.s) and pixEventsAVX2 (pixevents_amd64.s)
// read; TestKernelLayouts checks them against the Go struct.
#define EP_MPLANE 0
#define EP_PLANE 8
#define EP_KCOUT4 16
#define EP_OWCOUT4 24
#define EP_CINSTRIDE 32
