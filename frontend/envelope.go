package frontend

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
)

// EncodeEnvelope returns the file form shared by every autosnn checkpoint:
// a first line "MAGIC vVERSION", the gob encoding of body, and a
// little-endian CRC-32 (IEEE) of the gob bytes.
func EncodeEnvelope(magic string, version int, body any) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s v%d\n", magic, version)
	head := b.Len()
	if err := gob.NewEncoder(&b).Encode(body); err != nil {
		return nil, err
	}
	b.Write(binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(b.Bytes()[head:])))
	return b.Bytes(), nil
}

// DecodeEnvelope checks the first line (magic and exactly version), the
// length and the checksum of data written by EncodeEnvelope and decodes the
// gob body into body. what names the kind of file in errors ("autosnn
// checkpoint").
func DecodeEnvelope(data []byte, magic string, version int, what string, body any) error {
	line, _, ok := bytes.Cut(data, []byte("\n"))
	head, ver, found := strings.Cut(string(line), " v")
	if !ok || !found || head != magic {
		return fmt.Errorf("not an %s (first line is not %q)", what, magic+" v<N>")
	}
	v, err := strconv.Atoi(ver)
	if err != nil {
		return fmt.Errorf("bad format version %q in the first line", ver)
	}
	if v != version {
		return fmt.Errorf("format version %d, this build reads version %d only", v, version)
	}
	b := data[len(line)+1:]
	if len(b) < 4 {
		return fmt.Errorf("truncated: %d bytes after the header, want a body and a 4-byte checksum", len(b))
	}
	sum := binary.LittleEndian.Uint32(b[len(b)-4:])
	b = b[:len(b)-4]
	if got := crc32.ChecksumIEEE(b); got != sum {
		return fmt.Errorf("checksum mismatch (stored %08x, computed %08x): the file is truncated or corrupted", sum, got)
	}
	if err := gob.NewDecoder(bufio.NewReader(bytes.NewReader(b))).Decode(body); err != nil {
		return fmt.Errorf("decode body at offset %d: %w", len(line)+1, err)
	}
	return nil
}
