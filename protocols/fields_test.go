package protocols_test

import (
	"bufio"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/aura-p2p/aura-p2p/protocols/consensuspb"
	"github.com/aura-p2p/aura-p2p/protocols/dkgpb"
	"github.com/aura-p2p/aura-p2p/protocols/invitepb"
	"github.com/aura-p2p/aura-p2p/protocols/syncpb"
)

var update = flag.Bool("update", false, "append new fields and enum values to testdata/fieldnumbers.txt")

const fieldsGolden = "testdata/fieldnumbers.txt"

// wireFiles are every .proto file under protocols/.
var wireFiles = []protoreflect.FileDescriptor{
	syncpb.File_protocols_syncpb_sync_proto,
	consensuspb.File_protocols_consensuspb_consensus_proto,
	dkgpb.File_protocols_dkgpb_dkg_proto,
	invitepb.File_protocols_invitepb_invite_proto,
}

// numbered is one published number: key "container #n", value "name type".
type numbered map[string]string

func fieldType(f protoreflect.FieldDescriptor) string {
	t := f.Kind().String()
	switch f.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		t = string(f.Message().FullName())
	case protoreflect.EnumKind:
		t = "enum " + string(f.Enum().FullName())
	}
	return f.Cardinality().String() + " " + t
}

func collectMessages(ms protoreflect.MessageDescriptors, out numbered) {
	for i := 0; i < ms.Len(); i++ {
		m := ms.Get(i)
		for j := 0; j < m.Fields().Len(); j++ {
			f := m.Fields().Get(j)
			out[fmt.Sprintf("%s #%d", m.FullName(), f.Number())] = string(f.Name()) + " " + fieldType(f)
		}
		collectMessages(m.Messages(), out)
		collectEnums(m.Enums(), out)
	}
}

func collectEnums(es protoreflect.EnumDescriptors, out numbered) {
	for i := 0; i < es.Len(); i++ {
		e := es.Get(i)
		for j := 0; j < e.Values().Len(); j++ {
			v := e.Values().Get(j)
			out[fmt.Sprintf("%s #%d", e.FullName(), v.Number())] = string(v.Name()) + " value"
		}
	}
}

func currentNumbers() numbered {
	out := numbered{}
	for _, fd := range wireFiles {
		collectMessages(fd.Messages(), out)
		collectEnums(fd.Enums(), out)
	}
	return out
}

// reserved reports whether number n of container is reserved.
func reserved(container string, n int) bool {
	for _, fd := range wireFiles {
		d := fd.Messages().ByName(protoreflect.Name(container[strings.LastIndex(container, ".")+1:]))
		if d != nil && string(d.FullName()) == container {
			return d.ReservedRanges().Has(protoreflect.FieldNumber(n))
		}
		e := fd.Enums().ByName(protoreflect.Name(container[strings.LastIndex(container, ".")+1:]))
		if e != nil && string(e.FullName()) == container {
			return e.ReservedRanges().Has(protoreflect.EnumNumber(n))
		}
	}
	return false
}

func readGolden(t *testing.T) numbered {
	t.Helper()
	f, err := os.Open(fieldsGolden)
	if os.IsNotExist(err) && *update {
		return numbered{}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := numbered{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		container, rest, ok := strings.Cut(line, " #")
		num, val, ok2 := strings.Cut(rest, " ")
		if !ok || !ok2 {
			t.Fatalf("%s: bad line %q", fieldsGolden, line)
		}
		out[container+" #"+num] = val
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func writeGolden(t *testing.T, n numbered) {
	t.Helper()
	var sb strings.Builder
	sb.WriteString("# Published field and enum numbers of protocols/**/*.proto (append-only).\n")
	sb.WriteString("# <message or enum> #<number> <name> <cardinality type | value>\n")
	sb.WriteString("# Checked by TestFieldNumbersAppendOnly; new entries are appended with -update.\n")
	for _, k := range slices.Sorted(maps.Keys(n)) {
		sb.WriteString(k + " " + n[k] + "\n")
	}
	if err := os.WriteFile(fieldsGolden, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestFieldNumbersAppendOnly checks that every published field or enum
// number keeps its name and type, or is reserved, and that every current
// number is published. -update only appends: a renumbered or retyped field
// still fails.
func TestFieldNumbersAppendOnly(t *testing.T) {
	golden, cur := readGolden(t), currentNumbers()
	for k, want := range golden {
		got, ok := cur[k]
		container, num, _ := strings.Cut(k, " #")
		var n int
		fmt.Sscan(num, &n)
		switch {
		case ok && got != want:
			t.Errorf("%s changed from %q to %q: field numbers are append-only", k, want, got)
		case !ok && !reserved(container, n):
			t.Errorf("%s (%s) removed without a reserved entry", k, want)
		}
	}
	var added []string
	for k := range cur {
		if _, ok := golden[k]; !ok {
			added = append(added, k)
			golden[k] = cur[k]
		}
	}
	if *update {
		writeGolden(t, golden)
		return
	}
	if len(added) > 0 {
		slices.Sort(added)
		t.Errorf("unpublished numbers %v: run go test ./protocols -run TestFieldNumbersAppendOnly -update", added)
	}
}
