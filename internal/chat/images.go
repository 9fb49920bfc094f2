package chat

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// Limits on the images sent to a model with one request: the newest few
// only (older ones stay named in the text), each small enough for every
// provider's per-image limit.
const (
	maxImagesPerRequest = 4
	maxImageBytes       = 5 << 20
)

// describeAttachments names a message's files in its text, so a model
// knows they exist even when it cannot see them.
func describeAttachments(as []Attachment) string {
	if len(as) == 0 {
		return ""
	}
	var b strings.Builder
	for _, a := range as {
		kind := "file"
		if a.IsImage() {
			kind = "image"
		}
		fmt.Fprintf(&b, "\n[Attached %s: %q (%s, %d bytes)]", kind, a.Name, a.ContentType, a.Size)
	}
	return b.String()
}

// imageRefs are a message's images as turn inputs still to be loaded by
// loadImages.
func imageRefs(as []Attachment) []Image {
	var out []Image
	for _, a := range as {
		if a.IsImage() && a.Size <= maxImageBytes {
			out = append(out, Image{ContentType: a.ContentType, fileID: a.ID})
		}
	}
	return out
}

// loadImages fetches the bytes of the newest images of turns when the
// model accepts images and drops every other image reference. An image
// that cannot be read is left out (the text still names it) and logged:
// a missing picture is no reason to leave the user without an answer.
func (s *Service) loadImages(ctx context.Context, turns []Turn, vision bool) []Turn {
	budget := maxImagesPerRequest
	for i := len(turns) - 1; i >= 0; i-- {
		refs := turns[i].Images
		turns[i].Images = nil
		if !vision || s.uploads == nil {
			continue
		}
		for j := len(refs) - 1; j >= 0 && budget > 0; j-- {
			data, err := s.imageBytes(ctx, refs[j].fileID)
			if err != nil {
				s.log.Warn("attached image not sent to the model", "file_id", refs[j].fileID, "err", err)
				continue
			}
			budget--
			turns[i].Images = append([]Image{{ContentType: refs[j].ContentType, Data: data}}, turns[i].Images...)
		}
	}
	return turns
}

func (s *Service) imageBytes(ctx context.Context, id string) ([]byte, error) {
	rec, err := s.repo.GetUpload(ctx, id)
	if err != nil {
		return nil, err
	}
	rc, err := s.uploads.Content(ctx, rec)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxImageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read image %s: %w", id, err)
	}
	if len(data) > maxImageBytes {
		return nil, fmt.Errorf("image %s: larger than %d bytes", id, maxImageBytes)
	}
	return data, nil
}
