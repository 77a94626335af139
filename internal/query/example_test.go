package query_test

import (
	"fmt"

	"github.com/evident-dev/evident/internal/query"
	"github.com/evident-dev/evident/internal/store"
)

func Example() {
	c, err := query.Parse(`verb IN {create, patch} AND NOT user.username IN {"system:serviceaccount:*"}`)
	if err != nil {
		fmt.Println(err)
		return
	}
	event := map[store.Field][]string{
		store.FieldVerb:     {"patch"},
		store.FieldUsername: {"alice"},
	}
	fmt.Println(query.Eval(c, func(f store.Field) []string { return event[f] }))

	fmt.Println(query.Validate(`verb = bogus`))
	// Output:
	// true
	// query "verb = bogus": column 8: verb must be one of get, list, watch, create, update, patch, delete
}
