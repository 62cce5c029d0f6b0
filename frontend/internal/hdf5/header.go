package hdf5

import (
	"bytes"
	"errors"
	"fmt"
)

// Header message types used here (HDF5 spec IV.A.2).
const (
	msgNil          = 0x00
	msgDataspace    = 0x01
	msgLinkInfo     = 0x02
	msgDatatype     = 0x03
	msgFillOld      = 0x04
	msgFill         = 0x05
	msgLink         = 0x06
	msgExternal     = 0x07
	msgLayout       = 0x08
	msgGroupInfo    = 0x0A
	msgFilters      = 0x0B
	msgAttribute    = 0x0C
	msgContinuation = 0x10
	msgSymbolTable  = 0x11
	msgAttrInfo     = 0x15
)

// message is one header message.
type message struct {
	typ   uint16
	flags uint8
	data  []byte
}

// maxMessages bounds the messages of one object header (with its
// continuation blocks), so a corrupt chain of continuations cannot loop.
const maxMessages = 1 << 16

// header reads the object header at address a: its messages in order,
// continuation blocks followed.
func (f *file) header(a uint64) ([]message, error) {
	c := f.at(a)
	if c.err != nil {
		return nil, c.err
	}
	if c.off+4 <= len(c.b) && bytes.Equal(c.b[c.off:c.off+4], []byte("OHDR")) {
		return f.headerV2(a)
	}
	version := c.u8()
	if c.err != nil {
		return nil, c.err
	}
	if version != 1 {
		return nil, fmt.Errorf("object header at %#x: version %d, want 1 or an OHDR signature", a, version)
	}
	c.skip(1)
	n := int(c.u16())
	c.skip(4) // reference count
	size := c.u32()
	c.skip(4) // alignment of the first message to 8 bytes
	if c.err != nil {
		return nil, c.err
	}
	var msgs []message
	type block struct{ addr, size uint64 }
	blocks := []block{{uint64(c.off), uint64(size)}}
	seen := map[uint64]bool{}
	for len(blocks) > 0 {
		b := blocks[0]
		blocks = blocks[1:]
		if seen[b.addr] {
			return nil, fmt.Errorf("object header at %#x: continuation loop", a)
		}
		seen[b.addr] = true
		data, err := f.span(b.addr, b.size)
		if err != nil {
			return nil, fmt.Errorf("object header at %#x: %w", a, err)
		}
		bc := &cursor{f: f, b: data}
		for bc.off+8 <= len(data) {
			typ := bc.u16()
			sz := int(bc.u16())
			fl := bc.u8()
			bc.skip(3)
			body := bc.bytes(sz)
			if bc.err != nil {
				return nil, fmt.Errorf("object header at %#x: message of type %#x: %w", a, typ, bc.err)
			}
			if len(msgs) >= maxMessages {
				return nil, fmt.Errorf("object header at %#x: more than %d messages", a, maxMessages)
			}
			msgs = append(msgs, message{typ, fl, body})
			if typ == msgContinuation {
				cc := &cursor{f: f, b: body}
				ca, cl := cc.addr(), cc.length()
				if cc.err != nil {
					return nil, fmt.Errorf("object header at %#x: continuation: %w", a, cc.err)
				}
				blocks = append(blocks, block{ca, cl})
			}
		}
	}
	_ = n // the count includes NIL messages that fill gaps; the blocks are authoritative
	return msgs, nil
}

// headerV2 reads a version-2 object header ("OHDR") and its continuation
// blocks ("OCHK"), verifying their checksums.
func (f *file) headerV2(a uint64) ([]message, error) {
	c := f.at(a)
	c.skip(4)
	if v := c.u8(); v != 2 {
		return nil, fmt.Errorf("object header at %#x: OHDR version %d, want 2", a, v)
	}
	flags := c.u8()
	if flags&0x20 != 0 {
		c.skip(16) // times
	}
	if flags&0x10 != 0 {
		c.skip(4) // attribute phase change values
	}
	size := c.uN(1 << (flags & 3))
	if c.err != nil {
		return nil, fmt.Errorf("object header at %#x: %w", a, c.err)
	}
	start := uint64(c.off)
	if size > uint64(len(f.data)) || start+size+4 > uint64(len(f.data)) {
		return nil, fmt.Errorf("object header at %#x: chunk of %d bytes runs past the end of the file", a, size)
	}
	if err := checkSum(fmt.Sprintf("object header at %#x", a), f.data[a:start+size], f.data[start+size:]); err != nil {
		return nil, err
	}
	order := flags&0x04 != 0
	var msgs []message
	chunk := f.data[start : start+size]
	seen := map[uint64]bool{a: true}
	for {
		var next []message
		var err error
		next, err = f.messagesV2(a, chunk, order)
		if err != nil {
			return nil, err
		}
		var cont *message
		for i := range next {
			if len(msgs) >= maxMessages {
				return nil, fmt.Errorf("object header at %#x: more than %d messages", a, maxMessages)
			}
			msgs = append(msgs, next[i])
			if next[i].typ == msgContinuation {
				cont = &next[i]
			}
		}
		if cont == nil {
			break
		}
		// One continuation per chunk at most in practice; follow the last.
		cc := &cursor{f: f, b: cont.data}
		ca, cl := cc.addr(), cc.length()
		if cc.err != nil {
			return nil, fmt.Errorf("object header at %#x: continuation: %w", a, cc.err)
		}
		if seen[ca] {
			return nil, fmt.Errorf("object header at %#x: continuation loop", a)
		}
		seen[ca] = true
		blk, err := f.span(ca, cl)
		if err != nil || len(blk) < 8 || !bytes.Equal(blk[:4], []byte("OCHK")) {
			return nil, fmt.Errorf("object header at %#x: continuation block at %#x is not an OCHK block", a, ca)
		}
		if err := checkSum(fmt.Sprintf("object header continuation at %#x", ca), blk[:len(blk)-4], blk[len(blk)-4:]); err != nil {
			return nil, err
		}
		chunk = blk[4 : len(blk)-4]
	}
	return msgs, nil
}

// messagesV2 splits a version-2 header chunk into messages; a tail shorter
// than a message header is a gap.
func (f *file) messagesV2(a uint64, chunk []byte, order bool) ([]message, error) {
	hdr := 4
	if order {
		hdr = 6
	}
	c := &cursor{f: f, b: chunk}
	var msgs []message
	for c.off+hdr <= len(chunk) {
		typ := uint16(c.u8())
		sz := int(c.u16())
		fl := c.u8()
		if order {
			c.skip(2)
		}
		body := c.bytes(sz)
		if c.err != nil {
			return nil, fmt.Errorf("object header at %#x: message of type %#x: %w", a, typ, c.err)
		}
		msgs = append(msgs, message{typ, fl, body})
	}
	return msgs, nil
}

// object reads the object whose header is at address a.
func (f *file) object(path string, a uint64, depth int, visiting map[uint64]bool) (*Object, error) {
	if depth > maxDepth {
		return nil, &pathError{path, fmt.Errorf("groups nested deeper than %d", maxDepth)}
	}
	if visiting[a] {
		return nil, &pathError{path, errors.New("unsupported: a link back to an enclosing group (cycle)")}
	}
	if f.visits++; f.visits > maxObjects {
		return nil, &pathError{path, fmt.Errorf("more than %d objects in the file", maxObjects)}
	}
	visiting[a] = true
	defer delete(visiting, a)
	msgs, err := f.header(a)
	if err != nil {
		return nil, &pathError{path, err}
	}
	o := &Object{Path: path, Attrs: map[string]*Value{}}
	var (
		isGroup, isData bool
		links           []link
		dt              *datatype
		ds              *dataspace
		layout, filters []byte
	)
	for _, m := range msgs {
		if m.flags&0x02 != 0 && m.typ != msgNil {
			return nil, &pathError{path, fmt.Errorf("unsupported: shared header message of type %#x (shared or committed datatype)", m.typ)}
		}
		switch m.typ {
		case msgSymbolTable:
			isGroup = true
			c := &cursor{f: f, b: m.data}
			bt, heap := c.addr(), c.addr()
			if c.err != nil {
				return nil, &pathError{path, fmt.Errorf("symbol table message: %w", c.err)}
			}
			l, err := f.symbolTable(bt, heap)
			if err != nil {
				return nil, &pathError{path, err}
			}
			links = append(links, l...)
		case msgLinkInfo:
			isGroup = true
			if err := f.linkInfo(m.data); err != nil {
				return nil, &pathError{path, err}
			}
		case msgLink:
			isGroup = true
			l, err := f.linkMessage(m.data)
			if err != nil {
				return nil, &pathError{path, err}
			}
			links = append(links, l)
		case msgGroupInfo:
			isGroup = true
		case msgDatatype:
			isData = true
			if dt, err = f.parseDatatype(m.data); err != nil {
				return nil, &pathError{path, err}
			}
		case msgDataspace:
			isData = true
			if ds, err = f.parseDataspace(m.data); err != nil {
				return nil, &pathError{path, err}
			}
		case msgLayout:
			layout = m.data
		case msgFilters:
			filters = m.data
		case msgExternal:
			return nil, &pathError{path, errors.New("unsupported: external data files")}
		case msgAttrInfo:
			if err := f.attrInfo(m.data); err != nil {
				return nil, &pathError{path, err}
			}
		case msgAttribute:
			name, v, err := f.attribute(m.data)
			if err != nil {
				return nil, &pathError{path, fmt.Errorf("attribute %q: %w", name, err)}
			}
			o.Attrs[name] = v
		}
	}
	if isGroup && isData {
		return nil, &pathError{path, errors.New("header has both group and dataset messages")}
	}
	if isData {
		if dt == nil || ds == nil || layout == nil {
			return nil, &pathError{path, errors.New("dataset without a datatype, dataspace or layout message")}
		}
		v, err := f.dataset(dt, ds, layout, filters)
		if err != nil {
			return nil, &pathError{path, err}
		}
		o.Data = v
		return o, nil
	}
	o.Members = map[string]*Object{}
	for _, l := range links {
		if _, dup := o.Members[l.name]; dup {
			return nil, &pathError{path, fmt.Errorf("link %q appears twice", l.name)}
		}
		if l.name == "" || bytes.ContainsRune([]byte(l.name), '/') {
			return nil, &pathError{path, fmt.Errorf("invalid link name %q", l.name)}
		}
		child, err := f.object(join(path, l.name), l.addr, depth+1, visiting)
		if err != nil {
			return nil, err
		}
		o.Members[l.name] = child
	}
	return o, nil
}
