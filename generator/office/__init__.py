"""File formats only (Word, Excel, zip, the decree's page layout, Vietnamese formatting): imports nothing else of
kehoach."""
