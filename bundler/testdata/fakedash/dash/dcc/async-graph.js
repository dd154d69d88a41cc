window.fakeGraph = true;
