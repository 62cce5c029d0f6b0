package experiments

// The paper's published figures (Na et al., ICML 2022, CIFAR-10 at the
// paper's protocol: C = 16, T = 8, 600 epochs for the searched networks),
// quoted beside our rows. They belong to the experiment definitions, not
// to a run: Run fills Row.Paper from them and ReadResults lays them over
// the results it reads, so a figure added here shows in the report of a
// result run before it was added.

// PaperSetup says what the paper column's figures were measured on: every
// figure quoted is the paper's CIFAR-10 result at its own protocol, so it
// can be compared with ours (a reduced protocol, another data set) in
// direction only.
const PaperSetup = "CIFAR-10, the paper's protocol"

// paperTable2 is the paper's Table 2: the searched network of each lambda
// retrained on CIFAR-10 (C = 16, T = 8), test accuracy / spikes per image,
// keyed by lambda as the rows print it (fmt.Sprint).
var paperTable2 = map[string]string{"0": "88.69% / 127K", "-0.08": "88.67% / 108K", "-0.16": "88.46% / 106K", "-0.24": "86.58% / 54K"}

// fromTable2 is the paper's Table 2 figure for the network searched at
// lambda, marked as taken from Table 2, for a row of another table that
// holds the same kind of network (the winner of a spike-aware evolutionary
// search of the 5-TBD SNN_1 space at lambda); "" when Table 2 has none.
func fromTable2(lambda string) string {
	if s, ok := paperTable2[lambda]; ok {
		return s + " (Table 2)"
	}
	return ""
}

// paperFigure is the paper's figure for the row of e with the identifying
// cells cells ("" when the paper has none, when e has no figures, or when
// cells are not one per column of e, as in a foreign result file).
func (e *Experiment) paperFigure(cells []string) string {
	if e.figure == nil || len(cells) != len(e.Columns) {
		return ""
	}
	return e.figure(cells)
}

// overlayPaper sets every row's Paper of res to e's current figure for
// it: the definition, not the file, is where the paper's numbers live, so
// a stale or missing figure in an older result is replaced.
func (e *Experiment) overlayPaper(res *Result) {
	for i := range res.Rows {
		res.Rows[i].Paper = e.paperFigure(res.Rows[i].Cells)
	}
}
