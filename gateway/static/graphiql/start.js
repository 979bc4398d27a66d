// innohub's own start script for GraphiQL (not vendored). It is a file rather than an inline
// script so that the page's Content-Security-Policy can allow scripts from 'self' only.
// React, ReactDOM and GraphiQL are the UMD globals of the vendored files loaded before it.
(function () {
  'use strict';
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: GraphiQL.createFetcher({ url: '/graphql' }),
      // Every request needs `Authorization: Bearer <token>`: show the Headers tab, pre-filled.
      defaultHeaders: JSON.stringify({ Authorization: 'Bearer <paste a token here>' }, null, 2),
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: 'headers',
      // Tokens are secrets: do not keep them in the browser's localStorage.
      shouldPersistHeaders: false,
    }),
  );
})();
