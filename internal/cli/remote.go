package cli

import "fmt"

// newRemote connects the query commands to an Evident server.
func newRemote(server, token string) (auditSource, error) {
	return nil, fmt.Errorf("--server %s: querying a server is not supported by this build yet; run the command where the data directory is", server)
}
