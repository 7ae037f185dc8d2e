package consensus

import "testing"

func (c *cluster) dump(t *testing.T, cid [32]byte) {
	for i, nd := range c.nodes {
		inst := nd.insts[cid]
		if inst == nil {
			t.Logf("node %d: no instance", i)
			continue
		}
		rid, ok := nd.bucketRID(inst)
		r := uint32(0)
		var cms int
		if inst.fb != nil {
			r = inst.fb.round
			cms = len(inst.fb.commits[r])
		}
		var eq []int
		for w := range inst.equiv {
			eq = append(eq, c.index(w))
		}
		t.Logf("node %d: exec=%v voted=%v state=%d votes=%d rids=%d equiv=%v bucket=%v(%x) round=%d cms=%d pkgs=%d set=%v",
			i, inst.exec != nil, inst.voted, inst.state, len(inst.votes), len(inst.rids), eq, ok, rid[:2], r, cms, len(inst.pkgs), func() []int {
				if inst.fb == nil {
					return nil
				}
				var out []int
				for _, w := range nd.canonicalSet(inst, r) {
					out = append(out, c.index(w))
				}
				return out
			}())
	}
}
