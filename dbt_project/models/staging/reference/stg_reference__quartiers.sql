{{ quartiers_reference() }}
